module RefModule (
  input clk,
  input reset,
  input push,
  input pop,
  input [7:0] din,
  output [7:0] dout,
  output full,
  output empty,
  output [2:0] count
);
  reg [7:0] mem [0:3];
  reg [1:0] rd;
  reg [1:0] wr;
  reg [2:0] n;
  wire do_push = push && (n != 3'd4);
  wire do_pop = pop && (n != 3'd0);
  always @(posedge clk) begin
    if (reset) begin
      rd <= 2'd0;
      wr <= 2'd0;
      n <= 3'd0;
    end else begin
      if (do_push) begin
        mem[wr] <= din;
        wr <= wr + 2'd1;
      end
      if (do_pop) rd <= rd + 2'd1;
      n <= n + do_push - do_pop;
    end
  end
  assign count = n;
  assign full = n == 3'd4;
  assign empty = n == 3'd0;
  assign dout = (n == 3'd0) ? 8'd0 : mem[rd];
endmodule
