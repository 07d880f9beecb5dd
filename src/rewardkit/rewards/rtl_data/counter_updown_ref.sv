module RefModule (
  input clk,
  input reset,
  input en,
  input load,
  input up,
  input [3:0] d,
  output reg [3:0] q
);
  always @(posedge clk) begin
    if (reset) q <= 4'd0;
    else if (load) q <= d;
    else if (en) q <= up ? q + 4'd1 : q - 4'd1;
  end
endmodule
