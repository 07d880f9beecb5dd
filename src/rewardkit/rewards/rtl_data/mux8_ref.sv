module RefModule (
  input [2:0] sel,
  input [31:0] in,
  output [3:0] y
);
  assign y = in[sel * 4 +: 4];
endmodule
