// Testbench of thermometer: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [2:0] n;
  wire [7:0] t_ref, t_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.n(n), .t(t_ref));
  TopModule dut_i (.n(n), .t(t_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({t_ref} !== {t_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 8; i = i + 1) begin
      {n} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
