// Testbench of regfile4x8: drives RefModule and TopModule with the same stimulus and
// compares every output at every sample; prints one line, then finishes.
module tb;
  reg clk = 1'b0;
  reg reset;
  reg we;
  reg [1:0] waddr;
  reg [7:0] wdata;
  reg [1:0] raddr1;
  reg [1:0] raddr2;
  wire [7:0] rdata1_ref, rdata1_dut;
  wire [7:0] rdata2_ref, rdata2_dut;
  integer mismatches = 0;
  integer samples = 0;
  integer seed = 2024;
  integer i;

  RefModule ref_i (.clk(clk), .reset(reset), .we(we), .waddr(waddr), .wdata(wdata), .raddr1(raddr1), .raddr2(raddr2), .rdata1(rdata1_ref), .rdata2(rdata2_ref));
  TopModule dut_i (.clk(clk), .reset(reset), .we(we), .waddr(waddr), .wdata(wdata), .raddr1(raddr1), .raddr2(raddr2), .rdata1(rdata1_dut), .rdata2(rdata2_dut));

  always #5 clk = ~clk;

  task check;
    begin
      #1;
      samples = samples + 1;
      if ({rdata1_ref, rdata2_ref} !== {rdata1_dut, rdata2_dut}) mismatches = mismatches + 1;
    end
  endtask

  initial begin
    reset = 1'b1;
    @(posedge clk);
    for (i = 0; i < 1500; i = i + 1) begin
      @(negedge clk);
      reset = (i < 2) || ($urandom(seed) % 60 == 0);
      we = ($urandom(seed) % 3 == 0);
      waddr = $urandom(seed);
      wdata = $urandom(seed);
      raddr1 = $urandom(seed);
      raddr2 = $urandom(seed);
      check;
    end
    $display("Mismatches: %0d in %0d samples", mismatches, samples);
    $finish;
  end
endmodule
