module RefModule (
  input [7:0] a,
  output [7:0] y
);
  assign y = a[7] ? -a : a;
endmodule
