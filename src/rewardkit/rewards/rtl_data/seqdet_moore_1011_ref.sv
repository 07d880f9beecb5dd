module RefModule (
  input clk,
  input reset,
  input in,
  output out
);
  localparam S0 = 3'd0, S1 = 3'd1, S10 = 3'd2, S101 = 3'd3, S1011 = 3'd4;
  reg [2:0] state;
  always @(posedge clk) begin
    if (reset) state <= S0;
    else begin
      case (state)
        S0: state <= in ? S1 : S0;
        S1: state <= in ? S1 : S10;
        S10: state <= in ? S101 : S0;
        S101: state <= in ? S1011 : S10;
        default: state <= in ? S1 : S10;
      endcase
    end
  end
  assign out = state == S1011;
endmodule
