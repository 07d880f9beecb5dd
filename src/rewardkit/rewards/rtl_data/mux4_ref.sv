module RefModule (
  input [1:0] sel,
  input [3:0] a,
  input [3:0] b,
  input [3:0] c,
  input [3:0] d,
  output reg [3:0] y
);
  always @(*) begin
    case (sel)
      2'd0: y = a;
      2'd1: y = b;
      2'd2: y = c;
      default: y = d;
    endcase
  end
endmodule
