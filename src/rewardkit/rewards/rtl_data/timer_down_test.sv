// Testbench of timer_down: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg load;
  reg [7:0] d;
  wire [7:0] cnt_ref, cnt_dut;
  wire done_ref, done_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .load(load), .d(d), .cnt(cnt_ref), .done(done_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .load(load), .d(d), .cnt(cnt_dut), .done(done_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({cnt_ref, done_ref} !== {cnt_dut, done_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 2000; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 200 == 0);
      load = ($urandom(seed) % 20 == 0);
      d = ($urandom(seed) % 3 == 0) ? $urandom(seed) : $urandom(seed) % 16;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
