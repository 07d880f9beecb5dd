module RefModule (
  input clk,
  input reset,
  input load,
  input [7:0] d,
  output reg [7:0] cnt,
  output done
);
  always @(posedge clk) begin
    if (reset) cnt <= 8'd0;
    else if (load) cnt <= d;
    else if (cnt != 8'd0) cnt <= cnt - 8'd1;
  end
  assign done = cnt == 8'd0;
endmodule
