// Testbench of prienc8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [7:0] in;
  wire [2:0] idx_ref, idx_dut;
  wire valid_ref, valid_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.in(in), .idx(idx_ref), .valid(valid_ref));
  TopModule dut_i (.in(in), .idx(idx_dut), .valid(valid_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({idx_ref, valid_ref} !== {idx_dut, valid_dut}) mismatches = mismatches + 1;
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
