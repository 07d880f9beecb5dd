// Testbench of full_adder: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg a;
  reg b;
  reg cin;
  wire sum_ref, sum_dut;
  wire cout_ref, cout_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.a(a), .b(b), .cin(cin), .sum(sum_ref), .cout(cout_ref));
  TopModule dut_i (.a(a), .b(b), .cin(cin), .sum(sum_dut), .cout(cout_dut));

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({sum_ref, cout_ref} !== {sum_dut, cout_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    for (i = 0; i < 8; i = i + 1) begin
      {a, b, cin} = i;
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
