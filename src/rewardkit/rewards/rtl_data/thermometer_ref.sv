module RefModule (
  input [2:0] n,
  output [7:0] t
);
  assign t = (8'd1 << n) - 8'd1;
endmodule
