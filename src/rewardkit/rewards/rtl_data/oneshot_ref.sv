module RefModule (
  input clk,
  input reset,
  input trig,
  output out
);
  reg prev;
  reg [1:0] cnt;
  always @(posedge clk) begin
    if (reset) begin
      prev <= 1'b0;
      cnt <= 2'd0;
    end else begin
      prev <= trig;
      if (trig && !prev) cnt <= 2'd3;
      else if (cnt != 2'd0) cnt <= cnt - 2'd1;
    end
  end
  assign out = cnt != 2'd0;
endmodule
