// Testbench of bcd7seg: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [3:0] bcd;
  wire [6:0] seg_ref, seg_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.bcd(bcd), .seg(seg_ref));
  TopModule dut_i (.bcd(bcd), .seg(seg_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({seg_ref} !== {seg_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 16; i = i + 1) begin
      {bcd} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
