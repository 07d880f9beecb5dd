module RefModule (
  input clk,
  input reset,
  input in,
  output out
);
  localparam IDLE = 2'd0, ONE = 2'd1, ONEONE = 2'd2;
  reg [1:0] state;
  always @(posedge clk) begin
    if (reset) state <= IDLE;
    else begin
      case (state)
        IDLE: state <= in ? ONE : IDLE;
        ONE: state <= in ? ONEONE : IDLE;
        default: state <= in ? ONEONE : IDLE;
      endcase
    end
  end
  assign out = (state == ONEONE) && !in;
endmodule
