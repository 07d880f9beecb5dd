// Testbench of counter_updown: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg en;
  reg load;
  reg up;
  reg [3:0] d;
  wire [3:0] q_ref, q_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .en(en), .load(load), .up(up), .d(d), .q(q_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .en(en), .load(load), .up(up), .d(d), .q(q_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({q_ref} !== {q_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    up = 1'b1;
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 1500; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 60 == 0);
      load = ($urandom(seed) % 12 == 0);
      en = ($urandom(seed) % 4 != 0);
      if ($urandom(seed) % 10 == 0) up = ~up;
      d = $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
