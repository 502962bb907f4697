# minihv: a small hypervisor for the virt board with two guests (workloads/minihv/).
# Included from the top Makefile; uses $(B), $(CROSS_CC) and $(GUEST_CFLAGS).
# Produces $(B)/workloads/minihv/minihv.elf, run with
#   -M virt,gic-version=3,virtualization=on -cpu max -m 256M -kernel minihv.elf
MINIHV_SRC := workloads/minihv
MINIHV_OUT := $(B)/workloads/minihv
MINIHV_CFLAGS := $(GUEST_CFLAGS) -mstrict-align -I$(MINIHV_SRC)
MINIHV_LDFLAGS := -nostdlib -static -Wl,--build-id=none
MINIHV_OBJCOPY := $(patsubst %gcc,%objcopy,$(CROSS_CC))
MINIHV_HDRS := $(wildcard $(MINIHV_SRC)/*.h $(MINIHV_SRC)/*.inc) workloads/lib/start.inc
MINIHV_GUEST_RT := $(addprefix $(MINIHV_OUT)/,guest_start.o guest_rt.o fmt.o)

$(MINIHV_OUT)/%.o: $(MINIHV_SRC)/%.c $(MINIHV_HDRS)
	@mkdir -p $(@D)
	$(CROSS_CC) $(MINIHV_CFLAGS) -c $< -o $@
$(MINIHV_OUT)/%.o: $(MINIHV_SRC)/%.S $(MINIHV_HDRS)
	@mkdir -p $(@D)
	$(CROSS_CC) $(MINIHV_CFLAGS) -c $< -o $@

# Each guest is linked at IPA 0x40000000 and turned into the flat binary minihv embeds.
$(MINIHV_OUT)/guest%.elf: $(MINIHV_GUEST_RT) $(MINIHV_OUT)/guest%.o $(MINIHV_SRC)/guest.ld
	$(CROSS_CC) $(MINIHV_CFLAGS) $(MINIHV_LDFLAGS) -Wl,-T,$(MINIHV_SRC)/guest.ld \
		-o $@ $(filter %.o,$^) -lgcc
$(MINIHV_OUT)/guest%.bin: $(MINIHV_OUT)/guest%.elf
	$(MINIHV_OBJCOPY) -O binary $< $@
.PRECIOUS: $(MINIHV_OUT)/%.o $(MINIHV_OUT)/%.bin

$(MINIHV_OUT)/guests.o: $(MINIHV_SRC)/guests.S $(MINIHV_OUT)/guest1.bin \
		$(MINIHV_OUT)/guest2.bin
	$(CROSS_CC) $(MINIHV_CFLAGS) -DGUEST1_BIN='"$(MINIHV_OUT)/guest1.bin"' \
		-DGUEST2_BIN='"$(MINIHV_OUT)/guest2.bin"' -c $< -o $@

$(MINIHV_OUT)/minihv.elf: $(addprefix $(MINIHV_OUT)/,hv_start.o minihv.o fmt.o guests.o) \
		$(MINIHV_SRC)/hv.ld
	$(CROSS_CC) $(MINIHV_CFLAGS) $(MINIHV_LDFLAGS) -Wl,-T,$(MINIHV_SRC)/hv.ld \
		-o $@ $(filter %.o,$^) -lgcc

.PHONY: minihv
minihv: $(MINIHV_OUT)/minihv.elf $(MINIHV_OUT)/guest1.elf $(MINIHV_OUT)/guest2.elf
workloads: minihv
