// Testbench of alu8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [2:0] op;
  reg [7:0] a;
  reg [7:0] b;
  wire [7:0] y_ref, y_dut;
  wire carry_ref, carry_dut;
  wire zero_ref, zero_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.op(op), .a(a), .b(b), .y(y_ref), .carry(carry_ref), .zero(zero_ref));
  TopModule dut_i (.op(op), .a(a), .b(b), .y(y_dut), .carry(carry_dut), .zero(zero_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({y_ref, carry_ref, zero_ref} !== {y_dut, carry_dut, zero_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    op = 3'd0; a = 8'h00; b = 8'h00; check;
    op = 3'd0; a = 8'hff; b = 8'h01; check;
    op = 3'd0; a = 8'h80; b = 8'h80; check;
    op = 3'd1; a = 8'h00; b = 8'h00; check;
    op = 3'd1; a = 8'hff; b = 8'h01; check;
    op = 3'd1; a = 8'h80; b = 8'h80; check;
    op = 3'd2; a = 8'h00; b = 8'h00; check;
    op = 3'd2; a = 8'hff; b = 8'h01; check;
    op = 3'd2; a = 8'h80; b = 8'h80; check;
    op = 3'd3; a = 8'h00; b = 8'h00; check;
    op = 3'd3; a = 8'hff; b = 8'h01; check;
    op = 3'd3; a = 8'h80; b = 8'h80; check;
    op = 3'd4; a = 8'h00; b = 8'h00; check;
    op = 3'd4; a = 8'hff; b = 8'h01; check;
    op = 3'd4; a = 8'h80; b = 8'h80; check;
    op = 3'd5; a = 8'h00; b = 8'h00; check;
    op = 3'd5; a = 8'hff; b = 8'h01; check;
    op = 3'd5; a = 8'h80; b = 8'h80; check;
    op = 3'd6; a = 8'h00; b = 8'h00; check;
    op = 3'd6; a = 8'hff; b = 8'h01; check;
    op = 3'd6; a = 8'h80; b = 8'h80; check;
    op = 3'd7; a = 8'h00; b = 8'h00; check;
    op = 3'd7; a = 8'hff; b = 8'h01; check;
    op = 3'd7; a = 8'h80; b = 8'h80; check;
    for (i = 0; i < 3000; i = i + 1) begin
      op = $urandom(seed);
      a = $urandom(seed);
      b = ($urandom(seed) % 8 == 0) ? a : $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
