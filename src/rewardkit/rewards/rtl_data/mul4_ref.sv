module RefModule (
  input [3:0] a,
  input [3:0] b,
  output [7:0] p
);
  wire [7:0] wa = {4'd0, a};
  assign p = (b[0] ? wa : 8'd0) + (b[1] ? wa << 1 : 8'd0) + (b[2] ? wa << 2 : 8'd0)
           + (b[3] ? wa << 3 : 8'd0);
endmodule
