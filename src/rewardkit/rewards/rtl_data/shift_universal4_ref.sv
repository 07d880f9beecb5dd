module RefModule (
  input clk,
  input reset,
  input [1:0] mode,
  input [3:0] d,
  input sl_in,
  input sr_in,
  output reg [3:0] q
);
  always @(posedge clk) begin
    if (reset) q <= 4'd0;
    else begin
      case (mode)
        2'd0: q <= q;
        2'd1: q <= {q[2:0], sl_in};
        2'd2: q <= {sr_in, q[3:1]};
        default: q <= d;
      endcase
    end
  end
endmodule
