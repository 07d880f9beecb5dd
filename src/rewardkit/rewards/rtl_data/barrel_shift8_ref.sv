module RefModule (
  input [7:0] in,
  input [2:0] amt,
  input left,
  input rotate,
  output reg [7:0] out
);
  always @(*) begin
    if (rotate)
      out = left ? (in << amt) | (in >> (4'd8 - amt)) : (in >> amt) | (in << (4'd8 - amt));
    else
      out = left ? in << amt : in >> amt;
  end
endmodule
