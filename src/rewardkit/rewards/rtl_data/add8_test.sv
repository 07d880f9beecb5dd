// Testbench of add8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg [7:0] a;
  reg [7:0] b;
  reg cin;
  wire [7:0] sum_ref, sum_dut;
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
    a = 8'h00; b = 8'h00; cin = 1'b1; check;
    a = 8'h00; b = 8'h01; cin = 1'b1; check;
    a = 8'h00; b = 8'h7f; cin = 1'b1; check;
    a = 8'h00; b = 8'h80; cin = 1'b1; check;
    a = 8'h00; b = 8'hff; cin = 1'b1; check;
    a = 8'h01; b = 8'h00; cin = 1'b1; check;
    a = 8'h01; b = 8'h01; cin = 1'b1; check;
    a = 8'h01; b = 8'h7f; cin = 1'b1; check;
    a = 8'h01; b = 8'h80; cin = 1'b1; check;
    a = 8'h01; b = 8'hff; cin = 1'b1; check;
    a = 8'h7f; b = 8'h00; cin = 1'b1; check;
    a = 8'h7f; b = 8'h01; cin = 1'b1; check;
    a = 8'h7f; b = 8'h7f; cin = 1'b1; check;
    a = 8'h7f; b = 8'h80; cin = 1'b1; check;
    a = 8'h7f; b = 8'hff; cin = 1'b1; check;
    a = 8'h80; b = 8'h00; cin = 1'b1; check;
    a = 8'h80; b = 8'h01; cin = 1'b1; check;
    a = 8'h80; b = 8'h7f; cin = 1'b1; check;
    a = 8'h80; b = 8'h80; cin = 1'b1; check;
    a = 8'h80; b = 8'hff; cin = 1'b1; check;
    a = 8'hff; b = 8'h00; cin = 1'b1; check;
    a = 8'hff; b = 8'h01; cin = 1'b1; check;
    a = 8'hff; b = 8'h7f; cin = 1'b1; check;
    a = 8'hff; b = 8'h80; cin = 1'b1; check;
    a = 8'hff; b = 8'hff; cin = 1'b1; check;
    for (i = 0; i < 2000; i = i + 1) begin
      a = $urandom(seed);
      case ($urandom(seed) % 4)
        0: b = a;
        1: b = a + (($urandom(seed) % 2) ? 8'd1 : 8'hff);
        2: b = ($urandom(seed) % 2) ? 8'h80 : ~a;
        default: b = $urandom(seed);
      endcase
      cin = $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
