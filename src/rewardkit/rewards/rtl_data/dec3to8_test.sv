// Testbench of dec3to8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [2:0] a;
  reg en;
  wire [7:0] y_ref, y_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.a(a), .en(en), .y(y_ref));
  TopModule dut_i (.a(a), .en(en), .y(y_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({y_ref} !== {y_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 16; i = i + 1) begin
      {a, en} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
