// Testbench of clz8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [7:0] in;
  wire [3:0] n_ref, n_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.in(in), .n(n_ref));
  TopModule dut_i (.in(in), .n(n_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({n_ref} !== {n_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 256; i = i + 1) begin
      {in} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
