module RefModule (
  input clk,
  input reset,
  input [3:0] duty,
  output out
);
  reg [3:0] cnt;
  always @(posedge clk) begin
    if (reset) cnt <= 4'd0;
    else cnt <= cnt + 4'd1;
  end
  assign out = cnt < duty;
endmodule
