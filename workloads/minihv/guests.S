// The two guest images, linked at IPA 0x40000000 as flat binaries (minihv.mk passes their
// paths as GUEST1_BIN and GUEST2_BIN). minihv copies each to its guest's RAM at boot.
    .section .rodata.guests, "a"
    .balign 16
    .global guest1_image, guest1_image_end, guest2_image, guest2_image_end
guest1_image:
    .incbin GUEST1_BIN
guest1_image_end:
    .balign 16
guest2_image:
    .incbin GUEST2_BIN
guest2_image_end:
