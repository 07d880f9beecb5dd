module RefModule (
  input [2:0] op,
  input [7:0] a,
  input [7:0] b,
  output reg [7:0] y,
  output reg carry,
  output zero
);
  always @(*) begin
    carry = 1'b0;
    case (op)
      3'd0: {carry, y} = a + b;
      3'd1: begin
        y = a - b;
        carry = a < b;
      end
      3'd2: y = a & b;
      3'd3: y = a | b;
      3'd4: y = a ^ b;
      3'd5: begin
        y = {a[6:0], 1'b0};
        carry = a[7];
      end
      3'd6: begin
        y = {1'b0, a[7:1]};
        carry = a[0];
      end
      default: y = (a < b) ? 8'd1 : 8'd0;
    endcase
  end
  assign zero = y == 8'd0;
endmodule
