// Testbench of parity8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [7:0] data;
  reg odd_mode;
  wire p_ref, p_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.data(data), .odd_mode(odd_mode), .p(p_ref));
  TopModule dut_i (.data(data), .odd_mode(odd_mode), .p(p_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({p_ref} !== {p_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 512; i = i + 1) begin
      {data, odd_mode} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
