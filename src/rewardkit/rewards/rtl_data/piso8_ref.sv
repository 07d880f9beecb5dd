module RefModule (
  input clk,
  input reset,
  input load,
  input shift,
  input [7:0] d,
  output sout
);
  reg [7:0] r;
  always @(posedge clk) begin
    if (reset) r <= 8'd0;
    else if (load) r <= d;
    else if (shift) r <= {r[6:0], 1'b0};
  end
  assign sout = r[7];
endmodule
