module RefModule (
  input clk,
  input reset,
  input en,
  output reg [7:0] q
);
  always @(posedge clk) begin
    if (reset) q <= 8'h01;
    else if (en) q <= {q[6:0], q[7] ^ q[5] ^ q[4] ^ q[3]};
  end
endmodule
