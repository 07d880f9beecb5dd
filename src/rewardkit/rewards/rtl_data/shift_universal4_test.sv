// Testbench of shift_universal4: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg [1:0] mode;
  reg [3:0] d;
  reg sl_in;
  reg sr_in;
  wire [3:0] q_ref, q_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .mode(mode), .d(d), .sl_in(sl_in), .sr_in(sr_in), .q(q_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .mode(mode), .d(d), .sl_in(sl_in), .sr_in(sr_in), .q(q_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({q_ref} !== {q_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 1000; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 60 == 0);
      mode = $urandom(seed);
      d = $urandom(seed);
      sl_in = $urandom(seed);
      sr_in = $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
