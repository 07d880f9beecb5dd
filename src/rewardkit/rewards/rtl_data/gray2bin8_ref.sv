module RefModule (
  input [7:0] g,
  output [7:0] b
);
  assign b = g ^ (g >> 1) ^ (g >> 2) ^ (g >> 3) ^ (g >> 4) ^ (g >> 5) ^ (g >> 6) ^ (g >> 7);
endmodule
