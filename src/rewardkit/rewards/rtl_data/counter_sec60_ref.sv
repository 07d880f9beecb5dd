module RefModule (
  input clk,
  input reset,
  input en,
  output reg [3:0] ones,
  output reg [2:0] tens
);
  always @(posedge clk) begin
    if (reset) begin
      ones <= 4'd0;
      tens <= 3'd0;
    end else if (en) begin
      if (ones == 4'd9) begin
        ones <= 4'd0;
        tens <= (tens == 3'd5) ? 3'd0 : tens + 3'd1;
      end else begin
        ones <= ones + 4'd1;
      end
    end
  end
endmodule
