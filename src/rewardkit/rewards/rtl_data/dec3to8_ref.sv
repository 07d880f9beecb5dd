module RefModule (
  input [2:0] a,
  input en,
  output [7:0] y
);
  assign y = en ? (8'd1 << a) : 8'd0;
endmodule
