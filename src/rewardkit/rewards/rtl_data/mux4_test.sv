// Testbench of mux4: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [1:0] sel;
  reg [3:0] a;
  reg [3:0] b;
  reg [3:0] c;
  reg [3:0] d;
  wire [3:0] y_ref, y_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.sel(sel), .a(a), .b(b), .c(c), .d(d), .y(y_ref));
  TopModule dut_i (.sel(sel), .a(a), .b(b), .c(c), .d(d), .y(y_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({y_ref} !== {y_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 800; i = i + 1) begin
      sel = $urandom(seed);
      a = $urandom(seed);
      b = $urandom(seed);
      c = $urandom(seed);
      d = $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
