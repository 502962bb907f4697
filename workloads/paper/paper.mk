# The paper build of minihv (workloads/paper/): minihv with its benchmark devices and two
# other guests, the microbenchmark guest (bench.c) and its VM-switch partner (partner.c),
# both on minihv's guest runtime. Included from the top Makefile after minihv.mk; produces
# $(B)/workloads/paper/minihv-paper.elf, run by scripts/paper (make paper).
PAPER_SRC := workloads/paper
PAPER_OUT := $(B)/workloads/paper
PAPER_CFLAGS := $(MINIHV_CFLAGS) -I$(PAPER_SRC)

$(PAPER_OUT)/%.o: $(PAPER_SRC)/%.c $(MINIHV_HDRS) $(PAPER_SRC)/paper.h
	@mkdir -p $(@D)
	$(CROSS_CC) $(PAPER_CFLAGS) -c $< -o $@
$(PAPER_OUT)/%.o: $(PAPER_SRC)/%.S $(MINIHV_HDRS)
	@mkdir -p $(@D)
	$(CROSS_CC) $(PAPER_CFLAGS) -c $< -o $@

# Each guest at IPA 0x40000000 as minihv's are; the ELFs keep the symbols scripts/paper
# matches VM exits against.
$(PAPER_OUT)/%.elf: $(MINIHV_GUEST_RT) $(PAPER_OUT)/ops.o $(PAPER_OUT)/%.o \
		$(MINIHV_SRC)/guest.ld
	$(CROSS_CC) $(PAPER_CFLAGS) $(MINIHV_LDFLAGS) -Wl,-T,$(MINIHV_SRC)/guest.ld \
		-o $@ $(filter %.o,$^) -lgcc
$(PAPER_OUT)/%.bin: $(PAPER_OUT)/%.elf
	$(MINIHV_OBJCOPY) -O binary $< $@
.PRECIOUS: $(PAPER_OUT)/%.o $(PAPER_OUT)/%.bin $(PAPER_OUT)/bench.elf $(PAPER_OUT)/partner.elf

$(PAPER_OUT)/guests.o: $(MINIHV_SRC)/guests.S $(PAPER_OUT)/bench.bin $(PAPER_OUT)/partner.bin
	$(CROSS_CC) $(PAPER_CFLAGS) -DGUEST1_BIN='"$(PAPER_OUT)/bench.bin"' \
		-DGUEST2_BIN='"$(PAPER_OUT)/partner.bin"' -c $< -o $@

# minihv with the benchmark devices (-DMINIHV_PAPER: the GICD window, the doorbell, virtual
# SGIs); the demo's minihv.o is built without them.
$(PAPER_OUT)/minihv.o: $(MINIHV_SRC)/minihv.c $(MINIHV_HDRS)
	@mkdir -p $(@D)
	$(CROSS_CC) $(PAPER_CFLAGS) -DMINIHV_PAPER -c $< -o $@

$(PAPER_OUT)/minihv-paper.elf: $(addprefix $(MINIHV_OUT)/,hv_start.o fmt.o) \
		$(PAPER_OUT)/minihv.o $(PAPER_OUT)/guests.o $(MINIHV_SRC)/hv.ld
	$(CROSS_CC) $(PAPER_CFLAGS) $(MINIHV_LDFLAGS) -Wl,-T,$(MINIHV_SRC)/hv.ld \
		-o $@ $(filter %.o,$^) -lgcc

.PHONY: paper-guests
paper-guests: $(PAPER_OUT)/minihv-paper.elf $(PAPER_OUT)/bench.elf $(PAPER_OUT)/partner.elf
workloads: paper-guests

# The KVM benchmark guest: an arm64 Image for workloads/kvm-vmm/vmm.c (kvm_start.S), with
# ops.S timed by CNTVCT_EL0 and its HVC and doorbell aimed at KVM and the VMM.
PAPER_KVM_OPS := -DCOUNTER=cntvct_el0 -DHVC_FN=PSCI_VERSION_FN -DHVC_IMM=0 \
	-DDOORBELL=0x09000038
$(PAPER_OUT)/kvm_ops.o: $(PAPER_SRC)/ops.S $(MINIHV_HDRS)
	@mkdir -p $(@D)
	$(CROSS_CC) $(PAPER_CFLAGS) $(PAPER_KVM_OPS) -c $< -o $@
$(PAPER_OUT)/kvm-bench.elf: $(addprefix $(PAPER_OUT)/,kvm_start.o kvm_bench.o kvm_ops.o) \
		$(MINIHV_OUT)/fmt.o $(PAPER_SRC)/kvm.ld
	$(CROSS_CC) $(PAPER_CFLAGS) $(MINIHV_LDFLAGS) -Wl,-T,$(PAPER_SRC)/kvm.ld \
		-o $@ $(filter %.o,$^) -lgcc
$(PAPER_OUT)/kvm-bench.img: $(PAPER_OUT)/kvm-bench.elf
	$(MINIHV_OBJCOPY) -O binary $< $@
paper-guests: $(PAPER_OUT)/kvm-bench.img

# The same guest for a dom0less domU of Xen: Xen's guest layout for the vpl011 console and
# the vGICv3, the doorbell on the vpl011 (emulated inside Xen).
PAPER_XEN_LAYOUT := -DUART_BASE=0x22000000ul -DGICD_BASE=0x03001000ul -DGICR_BASE=0x03020000ul
$(PAPER_OUT)/xen_ops.o: $(PAPER_SRC)/ops.S $(MINIHV_HDRS)
	@mkdir -p $(@D)
	$(CROSS_CC) $(PAPER_CFLAGS) -DCOUNTER=cntvct_el0 -DHVC_FN=PSCI_VERSION_FN -DHVC_IMM=0 \
		-DDOORBELL=0x22000038 -DGICD=0x03001000 -c $< -o $@
$(PAPER_OUT)/xen_bench.o: $(PAPER_SRC)/kvm_bench.c $(MINIHV_HDRS) $(PAPER_SRC)/paper.h
	@mkdir -p $(@D)
	$(CROSS_CC) $(PAPER_CFLAGS) $(PAPER_XEN_LAYOUT) -c $< -o $@
$(PAPER_OUT)/xen-bench.elf: $(addprefix $(PAPER_OUT)/,kvm_start.o xen_bench.o xen_ops.o) \
		$(MINIHV_OUT)/fmt.o $(PAPER_SRC)/kvm.ld
	$(CROSS_CC) $(PAPER_CFLAGS) $(MINIHV_LDFLAGS) -Wl,-T,$(PAPER_SRC)/kvm.ld \
		-o $@ $(filter %.o,$^) -lgcc
$(PAPER_OUT)/xen-bench.img: $(PAPER_OUT)/xen-bench.elf
	$(MINIHV_OBJCOPY) -O binary $< $@
paper-guests: $(PAPER_OUT)/xen-bench.img
