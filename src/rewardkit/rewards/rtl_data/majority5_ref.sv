module RefModule (
  input [4:0] in,
  output maj
);
  assign maj = (in[0] + in[1] + in[2] + in[3] + in[4]) >= 3'd3;
endmodule
