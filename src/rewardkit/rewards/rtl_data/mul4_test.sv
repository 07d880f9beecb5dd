// Testbench of mul4: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [3:0] a;
  reg [3:0] b;
  wire [7:0] p_ref, p_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.a(a), .b(b), .p(p_ref));
  TopModule dut_i (.a(a), .b(b), .p(p_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({p_ref} !== {p_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 256; i = i + 1) begin
      {a, b} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
