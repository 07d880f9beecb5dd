// Testbench of accumulator: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg en;
  reg clear;
  reg [7:0] din;
  wire [11:0] acc_ref, acc_dut;
  wire ovf_ref, ovf_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .en(en), .clear(clear), .din(din), .acc(acc_ref), .ovf(ovf_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .en(en), .clear(clear), .din(din), .acc(acc_dut), .ovf(ovf_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({acc_ref, ovf_ref} !== {acc_dut, ovf_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 2000; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 300 == 0);
      clear = ($urandom(seed) % 90 == 0);
      en = ($urandom(seed) % 3 != 0);
      din = $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
