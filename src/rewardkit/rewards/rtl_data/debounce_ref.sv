module RefModule (
  input clk,
  input reset,
  input in,
  output reg out
);
  reg [1:0] cnt;
  always @(posedge clk) begin
    if (reset) begin
      out <= 1'b0;
      cnt <= 2'd0;
    end else if (in == out) begin
      cnt <= 2'd0;
    end else if (cnt == 2'd3) begin
      out <= in;
      cnt <= 2'd0;
    end else begin
      cnt <= cnt + 2'd1;
    end
  end
endmodule
