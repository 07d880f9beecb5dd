// Testbench of counter_mod10: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg en;
  wire [3:0] q_ref, q_dut;
  wire tc_ref, tc_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .en(en), .q(q_ref), .tc(tc_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .en(en), .q(q_dut), .tc(tc_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({q_ref, tc_ref} !== {q_dut, tc_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 1000; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 80 == 0);
      en = ($urandom(seed) % 4 != 0);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
