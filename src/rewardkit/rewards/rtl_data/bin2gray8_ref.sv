module RefModule (
  input [7:0] b,
  output [7:0] g
);
  assign g = b ^ (b >> 1);
endmodule
