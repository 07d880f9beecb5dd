module RefModule (
  input [7:0] a,
  input [7:0] b,
  output [7:0] sum,
  output ovf
);
  assign sum = a + b;
  assign ovf = (a[7] == b[7]) && (sum[7] != a[7]);
endmodule
