module RefModule (
  input clk,
  input reset,
  input we,
  input [1:0] waddr,
  input [7:0] wdata,
  input [1:0] raddr1,
  input [1:0] raddr2,
  output [7:0] rdata1,
  output [7:0] rdata2
);
  reg [7:0] r [0:3];
  always @(posedge clk) begin
    if (reset) begin
      r[0] <= 8'd0;
      r[1] <= 8'd0;
      r[2] <= 8'd0;
      r[3] <= 8'd0;
    end else if (we) begin
      r[waddr] <= wdata;
    end
  end
  assign rdata1 = r[raddr1];
  assign rdata2 = r[raddr2];
endmodule
