module RefModule (
  input [7:0] a,
  input [7:0] b,
  output [7:0] y
);
  wire [8:0] total = a + b;
  assign y = total[8] ? 8'd255 : total[7:0];
endmodule
