module RefModule (
  input clk,
  input reset,
  input [3:0] req,
  output reg [3:0] grant
);
  reg [1:0] last;
  wire [1:0] p1 = last + 2'd1;
  wire [1:0] p2 = last + 2'd2;
  wire [1:0] p3 = last + 2'd3;
  always @(posedge clk) begin
    if (reset) begin
      grant <= 4'd0;
      last <= 2'd3;
    end else if (req[p1]) begin
      grant <= 4'd1 << p1;
      last <= p1;
    end else if (req[p2]) begin
      grant <= 4'd1 << p2;
      last <= p2;
    end else if (req[p3]) begin
      grant <= 4'd1 << p3;
      last <= p3;
    end else if (req[last]) begin
      grant <= 4'd1 << last;
    end else begin
      grant <= 4'd0;
    end
  end
endmodule
