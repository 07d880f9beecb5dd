module RefModule (
  input clk,
  input reset,
  input start,
  input [7:0] data,
  output reg tx,
  output reg busy
);
  reg [7:0] sh;
  reg [3:0] bitn;
  always @(posedge clk) begin
    if (reset) begin
      busy <= 1'b0;
      tx <= 1'b1;
    end else if (!busy) begin
      if (start) begin
        busy <= 1'b1;
        sh <= data;
        tx <= 1'b0;
        bitn <= 4'd0;
      end
    end else begin
      bitn <= bitn + 4'd1;
      if (bitn < 4'd8) begin
        tx <= sh[0];
        sh <= sh >> 1;
      end else if (bitn == 4'd8) begin
        tx <= 1'b1;
      end else begin
        busy <= 1'b0;
      end
    end
  end
endmodule
