// Testbench of majority5: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [4:0] in;
  wire maj_ref, maj_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.in(in), .maj(maj_ref));
  TopModule dut_i (.in(in), .maj(maj_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({maj_ref} !== {maj_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 32; i = i + 1) begin
      {in} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
