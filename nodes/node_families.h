// nodes/node_families.h — one registration function per node family file; builtin.cpp calls them all.
#pragma once

#include <weft/registry.h>

namespace weft::nodes {

void register_primitive_nodes(NodeRegistry& r);    // primitive_nodes.cpp: Primitive*, String*, PreviewAny
void register_image_basic_nodes(NodeRegistry& r);  // image_basic_nodes.cpp: EmptyImage, ImageInvert, GetImageSize
void register_save_image_nodes(NodeRegistry& r);   // save_image.cpp: SaveImage, PreviewImage
void register_image_scale_nodes(NodeRegistry& r);      // image_scale.cpp: ImageScale, ImageScaleBy, ImageScaleToTotalPixels
void register_image_batch_nodes(NodeRegistry& r);      // image_batch_nodes.cpp: ImageBatch, ImageFromBatch, RepeatImageBatch, RebatchImages
void register_image_transform_nodes(NodeRegistry& r);  // image_transform_nodes.cpp: ImageCrop, ImageFlip, ImageRotate
void register_image_filter_nodes(NodeRegistry& r);     // image_filter_nodes.cpp: ImageBlend, ImageBlur, ImageSharpen
void register_image_composite_nodes(NodeRegistry& r);  // image_composite_nodes.cpp: ImageCompositeMasked, ImagePadForOutpaint, Join/SplitImageWithAlpha
void register_mask_nodes(NodeRegistry& r);             // mask_nodes.cpp: ImageToMask, MaskToImage, InvertMask, SolidMask, GrowMask, FeatherMask, ThresholdMask, MaskComposite
void register_latent_nodes(NodeRegistry& r);           // latent_nodes.cpp: EmptyLatentImage, LatentUpscale(By), LatentFromBatch, RepeatLatentBatch, LatentBatch, RebatchLatents
void register_latent_transform_nodes(NodeRegistry& r); // latent_transform_nodes.cpp: LatentComposite(Masked), LatentCrop, LatentFlip, LatentRotate
void register_latent_math_nodes(NodeRegistry& r);      // latent_math_nodes.cpp: LatentAdd, LatentSubtract, LatentMultiply, LatentInterpolate
void register_latent_file_nodes(NodeRegistry& r);      // latent_files.cpp: SaveLatent, LoadLatent
void register_load_image_nodes(NodeRegistry& r);
void register_sd_loader_nodes(NodeRegistry& r);        // sd_loader_nodes.cpp: CheckpointLoader(Simple), UNETLoader, CLIPLoader, VAELoader
void register_lora_nodes(NodeRegistry& r);             // lora_nodes.cpp: LoraLoader, LoraLoaderModelOnly
void register_sd_conditioning_nodes(NodeRegistry& r);  // sd_conditioning_nodes.cpp: CLIPTextEncode, CLIPSetLastLayer, ConditioningCombine, ConditioningZeroOut
void register_conditioning_area_nodes(NodeRegistry& r); // conditioning_area_nodes.cpp: ConditioningAverage, ConditioningConcat, ConditioningSetArea*, ConditioningSetMask, ConditioningSetTimestepRange
void register_inpaint_nodes(NodeRegistry& r);            // inpaint_nodes.cpp: SetLatentNoiseMask, VAEEncodeForInpaint, InpaintModelConditioning
void register_vae_tiled_nodes(NodeRegistry& r);          // vae_tiled_nodes.cpp: VAEDecodeTiled, VAEEncodeTiled
void register_sampler_nodes(NodeRegistry& r);          // sampler_nodes.cpp: KSampler, KSamplerAdvanced
void register_custom_sampling_nodes(NodeRegistry& r);  // custom_sampling_nodes.cpp: SamplerCustom(Advanced), KSamplerSelect, *Scheduler, *Sigmas, *Noise, *Guider
void register_model_sampling_nodes(NodeRegistry& r);   // model_sampling_nodes.cpp: ModelSamplingDiscrete, RescaleCFG
void register_vae_nodes(NodeRegistry& r);              // vae_nodes.cpp: VAEDecode, VAEEncode       // load_image.cpp: LoadImage, LoadImageMask
void register_upscale_nodes(NodeRegistry& r);          // upscale_nodes.cpp: UpscaleModelLoader, ImageUpscaleWithModel
void register_controlnet_nodes(NodeRegistry& r);       // controlnet_nodes.cpp: ControlNetLoader, DiffControlNetLoader, ControlNetApply(Advanced)
void register_video_nodes(NodeRegistry& r);            // video_nodes.cpp: LoadVideo, CreateVideo, GetVideoComponents, SaveVideo, SaveWEBM
void register_animation_nodes(NodeRegistry& r);        // animation_nodes.cpp: SaveAnimatedWEBP, SaveAnimatedPNG

}  // namespace weft::nodes
