module RefModule (
  input [7:0] in,
  output reg [3:0] n
);
  always @(*) begin
    casez (in)
      8'b1???????: n = 4'd0;
      8'b01??????: n = 4'd1;
      8'b001?????: n = 4'd2;
      8'b0001????: n = 4'd3;
      8'b00001???: n = 4'd4;
      8'b000001??: n = 4'd5;
      8'b0000001?: n = 4'd6;
      8'b00000001: n = 4'd7;
      default: n = 4'd8;
    endcase
  end
endmodule
