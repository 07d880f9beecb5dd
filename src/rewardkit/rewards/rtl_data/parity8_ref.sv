module RefModule (
  input [7:0] data,
  input odd_mode,
  output p
);
  assign p = (^data) ^ odd_mode;
endmodule
