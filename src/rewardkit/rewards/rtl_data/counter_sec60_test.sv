// Testbench of counter_sec60: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg en;
  wire [3:0] ones_ref, ones_dut;
  wire [2:0] tens_ref, tens_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .en(en), .ones(ones_ref), .tens(tens_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .en(en), .ones(ones_dut), .tens(tens_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({ones_ref, tens_ref} !== {ones_dut, tens_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 2500; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 400 == 0);
      en = ($urandom(seed) % 8 != 0);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
