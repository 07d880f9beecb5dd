module RefModule (
  input clk,
  input reset,
  output reg out
);
  reg [1:0] cnt;
  always @(posedge clk) begin
    if (reset) begin
      cnt <= 2'd0;
      out <= 1'b0;
    end else if (cnt == 2'd2) begin
      cnt <= 2'd0;
      out <= ~out;
    end else begin
      cnt <= cnt + 2'd1;
    end
  end
endmodule
