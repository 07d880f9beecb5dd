module RefModule (
  input clk,
  input reset,
  input en,
  input clear,
  input [7:0] din,
  output reg [11:0] acc,
  output reg ovf
);
  wire [12:0] total = acc + din;
  always @(posedge clk) begin
    if (reset || clear) begin
      acc <= 12'd0;
      ovf <= 1'b0;
    end else if (en) begin
      acc <= total[11:0];
      if (total[12]) ovf <= 1'b1;
    end
  end
endmodule
